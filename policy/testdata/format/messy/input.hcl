# A policy written in a hurry: every line here is valid HCL, laid out badly.
variable "schema" {
default = "public"
   description="The application schema."
}

locals {
	owner = "tuist_app"   # tab-indented
	dml = [ "SELECT","INSERT" , "UPDATE",    "DELETE" ]
}

role "tuist_web" {
  external=true
  if_missing    = "skip" # wait for the operator
    login = true

  grant "database" { privileges = ["CONNECT"] }
  grant    "table"   {
      schema = var.schema
      names = ["${var.schema}_audit", "schema_migrations"]
   privileges = local.dml
  }
  grant "function" {
    schema     = var.schema
    names = [
      "touch_updated_at()",
        "lookup(integer, text)",
    ]
    privileges = [upper("execute")]
  }
  deny {
  privileges = ["CREATE"]    // never DDL
  }
}

public {
database = ["CONNECT",
"TEMPORARY"]
  schema = ["USAGE"]
}
