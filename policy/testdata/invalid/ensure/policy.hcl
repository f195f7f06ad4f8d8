role "web" {
  ensure = "absnt"
}

role "old" {
  ensure = true
}
