locals {
  a = local.b
  b = "${local.a}_x"
  c = local.a
}
