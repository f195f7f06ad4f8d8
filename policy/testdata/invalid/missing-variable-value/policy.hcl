variable "schema" {
  description = "no default"
}

role "web" {
  grant "schema" {
    names      = [var.schema]
    privileges = ["USAGE"]
  }
}
