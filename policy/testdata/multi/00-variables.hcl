variable "schema" {
  default = "app"
}

locals {
  owner = "app_owner"
}
