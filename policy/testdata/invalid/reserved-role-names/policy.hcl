role "pg_monitor" {}
role "public" {}
role "none" {}
