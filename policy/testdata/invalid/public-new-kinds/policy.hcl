public {
  tablespace           = ["USAGE"]
  parameter            = ["SET", "CREATE"]
  large_object         = ["SELECT", "DELETE"]
  foreign_data_wrapper = ["USGE"]
  foreign_servers      = []
}
