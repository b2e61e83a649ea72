# Shared by the bench scripts (sourced): what each would otherwise copy.

# free_port prints a TCP port of 127.0.0.1 that nothing listens on, for a local endpoint of the
# script's own.
free_port() {
  local p
  for _ in $(seq 50); do
    p=$((20000 + RANDOM % 40000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
      echo "$p"
      return
    fi
  done
  echo "$(basename "$0"): no free port found" >&2
  return 1
}
