role "nested" {}
