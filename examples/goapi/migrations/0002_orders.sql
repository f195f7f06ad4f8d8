-- A later migration: a new table. pgward apply after it grants what the
-- policy says; the default privileges of shop_owner already did.
CREATE TABLE shop.orders (
    id          bigserial PRIMARY KEY,
    customer_id bigint NOT NULL REFERENCES shop.customers (id),
    total_cents bigint NOT NULL
);
