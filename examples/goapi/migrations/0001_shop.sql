-- The first migration: the shop schema. It runs as the owner role
-- (shop_owner), so the objects belong to it and its default privileges
-- fire for the tables later migrations create.
CREATE SCHEMA shop;

CREATE TABLE shop.customers (
    id         bigserial PRIMARY KEY,
    email      text NOT NULL UNIQUE,
    created_at timestamptz NOT NULL DEFAULT now()
);
