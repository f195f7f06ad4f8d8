package introspect

import (
	"context"
	"fmt"
)

// Session counts the sessions one role has open in the connected database
// from one application_name.
type Session struct {
	Role            string
	ApplicationName string // "" when the client set none
	Count           int
}

// sqlSessions reads pg_stat_activity grouped by role and application_name.
// Every role sees usesysid and application_name of every session; the
// backend type only of its own sessions (or with pg_read_all_stats), so a
// hidden backend type counts as a client. The session running the query is
// left out: the audit's own connection is not a finding.
const sqlSessions = `
SELECT r.rolname::text, coalesce(a.application_name, ''), count(*)::int
FROM pg_catalog.pg_stat_activity a
JOIN pg_catalog.pg_roles r ON r.oid = a.usesysid
WHERE a.datid = (SELECT d.oid FROM pg_catalog.pg_database d WHERE d.datname = pg_catalog.current_database())
  AND a.pid <> pg_catalog.pg_backend_pid()
  AND coalesce(a.backend_type, 'client backend') = 'client backend'
GROUP BY 1, 2
ORDER BY 1, 2`

// ReadSessions reads which roles are connected to the current database now
// and from which application_name, in one query whatever the number of
// sessions. The querying session itself is left out. Rows are sorted by
// (Role, ApplicationName).
//
// It needs no privilege: every role may read the role and application_name
// of every session in pg_stat_activity.
func ReadSessions(ctx context.Context, q Querier) ([]Session, error) {
	rows, err := q.Query(ctx, sqlSessions)
	if err != nil {
		return nil, fmt.Errorf("read sessions from pg_stat_activity: %w", err)
	}
	defer rows.Close()
	var out []Session
	for rows.Next() {
		var s Session
		if err := rows.Scan(&s.Role, &s.ApplicationName, &s.Count); err != nil {
			return nil, fmt.Errorf("read sessions from pg_stat_activity: %w", err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read sessions from pg_stat_activity: %w", err)
	}
	return out, nil
}
