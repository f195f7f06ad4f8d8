variable "schema" {
  default = "public"
}

locals {
  reader = "${local.prefix}_ro"
}

scope {
  schemas = [var.schema]
}
