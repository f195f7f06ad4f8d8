variable "schema" {
  default = "public"
}

variable "limit" {
  default = 10
}

variable "schemas" {
  default = ["public"]
}

variable "owner" {}

scope {
  schemas = var.schemas
}

role "web" {
  connection_limit = var.limit

  grant "table" {
    schema     = var.schema
    privileges = ["SELECT"]
  }
  default_privileges "table" {
    for_role   = var.owner
    schema     = "${var.schema}"
    privileges = ["SELECT"]
  }
}
