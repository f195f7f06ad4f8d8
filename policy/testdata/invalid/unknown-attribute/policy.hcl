role "web" {
  logn = true
}
