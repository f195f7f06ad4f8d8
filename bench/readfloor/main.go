// Command readfloor is the read floor of `make bench`: the least a program
// must do to know what pgward needs to plan. It connects with bare pgx,
// runs one query (synth.ReadFloorQuery: names, owners, signatures and ACL
// arrays, one row per object, extension members left out), parses every
// ACL item and keeps every row in memory, then prints how many it read.
// The bench times it as a whole process, start and connection included,
// and reads its peak RSS.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"

	"github.com/jackc/pgx/v5"

	"github.com/pgward/pgward/internal/acl"

	"github.com/pgward/pgward/internal/testkit/synth"
)

// row is one object as read.
type row struct {
	class   int32
	subkind string
	schema  string
	name    string
	args    string
	owner   uint32
	acl     []item
}

// item is one parsed ACL item: privileges and grant options as bits in
// the order of privLetters.
type item struct {
	grantee, grantor string
	privs, options   uint16
}

func main() {
	url := flag.String("database-url", os.Getenv("DATABASE_URL"), "connection string")
	flag.Parse()
	rows, items, err := read(context.Background(), *url)
	if err != nil {
		fmt.Fprintf(os.Stderr, "readfloor: %v\n", err)
		os.Exit(1)
	}
	fmt.Printf("%d rows, %d ACL items\n", len(rows), items)
}

func read(ctx context.Context, url string) ([]row, int, error) {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return nil, 0, err
	}
	defer conn.Close(ctx)
	res, err := conn.Query(ctx, synth.ReadFloorQuery)
	if err != nil {
		return nil, 0, err
	}
	defer res.Close()
	var (
		out   []row
		items int
		acl   []string
	)
	for res.Next() {
		var r row
		acl = acl[:0]
		if err := res.Scan(&r.class, &r.subkind, &r.schema, &r.name, &r.args, &r.owner, &acl); err != nil {
			return nil, 0, err
		}
		if len(acl) > 0 {
			r.acl = make([]item, len(acl))
			for i, s := range acl {
				if r.acl[i], err = parseItem(s); err != nil {
					return nil, 0, fmt.Errorf("ACL of %s.%s: %w", r.schema, r.name, err)
				}
			}
			items += len(acl)
		}
		out = append(out, r)
	}
	return out, items, res.Err()
}

// parseItem parses the text form of an aclitem with pgward's own parser
// (acl.ParseItem): the floor parses what pgward parses.
func parseItem(s string) (item, error) {
	grantee, grantor, p, err := acl.ParseItem(s)
	return item{grantee: grantee, grantor: grantor, privs: uint16(p.Privs), options: uint16(p.GrantOption)}, err
}
