# the same role again

role "web" {
  login = false
}
