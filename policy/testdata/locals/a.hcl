locals {
  reader = "${local.prefix}_ro"
  roles  = concat([local.reader], [local.writer])
}
