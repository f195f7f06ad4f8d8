variable "schema" {
  default = "public"
}
