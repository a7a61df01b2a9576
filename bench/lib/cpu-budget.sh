# CPU budgets for benchmark processes: a cpu cgroup with a CFS quota of CPUS cores, on cgroup v1
# (the `cpu` controller mounted at /sys/fs/cgroup/cpu) or v2 (unified hierarchy at /sys/fs/cgroup
# with the `cpu` controller available). Sourced by bench/lb/l3.sh (one budget for the whole run)
# and bench/cluster/run.sh (one budget per node process). Needs root.
#
# A budget caps a group's CPU time at quota/period per period, whatever else runs on the machine,
# so a process's throughput reflects its CPU cost per operation and a fixed per-process capacity,
# as on a machine of its own: a 0.25-core budget lets the group run 2.5 ms in every 10 ms period,
# then throttles it until the next period begins.
#
#   source bench/lib/cpu-budget.sh
#   cg="$(cpu_budget_create stickyring-node-a1 0.25)"   # -> the group's directory
#   cpu_budget_exec "$cg" java ... &                      # the command (and its children) in the group; $! is its pid
#   cpu_budget_enter "$cg" "$$"                           # or: move a running process in
#   cpu_budget_stat "$cg"                                 # -> "<usage_us> <nr_periods> <nr_throttled> <throttled_us>"
#   cpu_budget_remove "$cg"                               # after its processes exited (or moves them out)
#   cpu_budget_describe "$cg"                             # one line: version, quota, period

# cpu_budget_version -> v1 | v2 | none
cpu_budget_version() {
  if [ -f /sys/fs/cgroup/cgroup.controllers ] && grep -qw cpu /sys/fs/cgroup/cgroup.controllers; then
    echo v2
  elif [ -f /sys/fs/cgroup/cpu/cpu.cfs_quota_us ]; then
    echo v1
  else
    echo none
  fi
}

# cpu_budget_create NAME CPUS [PERIOD_US (default 10000)] [SHARES (v1 cpu.shares / v2 cpu.weight, default high)]
#   -> prints the group's directory; exits 1 when no cpu controller is usable
cpu_budget_create() {
  local name="$1" cpus="$2" period="${3:-10000}" v dir quota
  quota="$(awk -v c="$cpus" -v p="$period" 'BEGIN { q = int(c * p); if (q < 1000) q = 1000; print q }')"
  v="$(cpu_budget_version)"
  case "$v" in
    v1)
      dir="/sys/fs/cgroup/cpu/$name"
      mkdir -p "$dir"
      echo "$period" > "$dir/cpu.cfs_period_us"
      echo "$quota" > "$dir/cpu.cfs_quota_us"
      echo "${4:-262144}" > "$dir/cpu.shares" ;;
    v2)
      # the parent must delegate the cpu controller to its children
      grep -qw cpu /sys/fs/cgroup/cgroup.subtree_control || echo +cpu > /sys/fs/cgroup/cgroup.subtree_control
      dir="/sys/fs/cgroup/$name"
      mkdir -p "$dir"
      echo "$quota $period" > "$dir/cpu.max"
      echo "${4:-10000}" > "$dir/cpu.weight" ;;
    *)
      echo "no cpu cgroup controller (cgroup v1 /sys/fs/cgroup/cpu or v2 /sys/fs/cgroup with cpu)" >&2
      return 1 ;;
  esac
  echo "$dir"
}

# cpu_budget_enter DIR PID: move PID (all its threads) into the group
cpu_budget_enter() {
  echo "$2" > "$1/cgroup.procs"
}

# cpu_budget_exec DIR CMD... &: run CMD inside the group. Call it in the background only: the
# function's subshell enters the group and execs CMD, so $! is CMD's pid (in the foreground the
# exec would replace the calling shell).
cpu_budget_exec() {
  local dir="$1"; shift
  echo "$BASHPID" > "$dir/cgroup.procs" && exec "$@"
}

# cpu_budget_stat DIR -> "<usage_us> <nr_periods> <nr_throttled> <throttled_us>" (usage: CPU time
# the group's processes used; v1 reads it from the cpuacct group of the same name when one exists,
# else prints -1)
cpu_budget_stat() {
  local dir="$1"
  if [ -f "$dir/cpu.max" ]; then
    awk '$1 == "usage_usec" {u = $2} $1 == "nr_periods" {p = $2} $1 == "nr_throttled" {n = $2} $1 == "throttled_usec" {t = $2}
         END {print u + 0, p + 0, n + 0, t + 0}' "$dir/cpu.stat"
  else
    local usage=-1 acct="/sys/fs/cgroup/cpuacct/${dir#/sys/fs/cgroup/cpu/}"
    [ -f "$acct/cpuacct.usage" ] && usage=$(( $(cat "$acct/cpuacct.usage") / 1000 ))
    awk -v u="$usage" '$1 == "nr_periods" {p = $2} $1 == "nr_throttled" {n = $2} $1 == "throttled_time" {t = $2}
         END {print u, p + 0, n + 0, int(t / 1000)}' "$dir/cpu.stat"
  fi
}

# cpu_budget_describe DIR -> one line naming the controller, quota and period
cpu_budget_describe() {
  local dir="$1"
  if [ -f "$dir/cpu.max" ]; then
    read -r q p < "$dir/cpu.max"
    echo "cgroup v2 cpu.max $q per $p us ($(awk -v q="$q" -v p="$p" 'BEGIN {print q / p}') core(s)), cpu.weight $(cat "$dir/cpu.weight")"
  else
    local q p; q="$(cat "$dir/cpu.cfs_quota_us")"; p="$(cat "$dir/cpu.cfs_period_us")"
    echo "cgroup v1 cpu.cfs_quota_us $q per $p us ($(awk -v q="$q" -v p="$p" 'BEGIN {print q / p}') core(s)), cpu.shares $(cat "$dir/cpu.shares")"
  fi
}

# cpu_budget_remove DIR: move whatever still runs in the group to the root group, then remove it
cpu_budget_remove() {
  local dir="$1" root p
  [ -d "$dir" ] || return 0
  root="$(dirname "$dir")"
  for p in $(cat "$dir/cgroup.procs" 2>/dev/null); do echo "$p" > "$root/cgroup.procs" 2>/dev/null || true; done
  for _ in $(seq 1 50); do rmdir "$dir" 2>/dev/null && return 0; sleep 0.1; done
  echo "could not remove cgroup $dir" >&2
}
