role "web" {
  grant "parameter" {
    names      = ["log statement", "pg_stat_statements..track", "9lives", "work-mem"]
    privileges = ["SET"]
  }
  grant "parameter" {
    names      = ["work_mem"]
    privileges = ["USAGE"]
  }
}
