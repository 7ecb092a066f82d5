# ctest bench.first_touch_smoke: runs bench_first_touch at a tiny size and checks that it exits 0 and prints
# both medians, and that it refuses a size of 0 with exit code 2 (no timing is checked).
# cmake -DEXE=<bench_first_touch> -P first_touch_smoke.cmake
include(${CMAKE_CURRENT_LIST_DIR}/smoke.cmake)
smoke_run(bench_first_touch out ${EXE} --mib 4 --rounds 1 --pause 1)
smoke_expect(bench_first_touch "${out}" "freed a moment before +[0-9.]+ ms for 4 MiB \\([0-9.]+ ms per MiB\\)"
             "warm median")
smoke_expect(bench_first_touch "${out}" "free for 1 s +[0-9.]+ ms for 4 MiB \\([0-9.]+ ms per MiB\\)"
             "cold median")
smoke_refuses("bench_first_touch --mib 0" "--mib needs a positive integer, got '0'" ${EXE} --mib 0)
