-- A migration with a comma missing at the end of line 5; PostgreSQL stops at line 6.
CREATE TABLE accounts (id bigserial PRIMARY KEY);

CREATE TABLE users (id bigserial PRIMARY KEY,
    account_id bigint NOT NULL REFERENCES accounts(id)
    email text NOT NULL);
