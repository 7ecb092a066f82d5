# ctest bench.first_touch_smoke: runs bench_first_touch at a tiny size and checks that it exits 0 and prints
# both medians, and that it refuses a size of 0 with exit code 2 (no timing is checked).
# cmake -DEXE=<bench_first_touch> -P first_touch_smoke.cmake
execute_process(COMMAND ${EXE} --mib 4 --rounds 1 --pause 1 RESULT_VARIABLE rc OUTPUT_VARIABLE out
                ERROR_VARIABLE err)
message("${out}${err}")
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "bench_first_touch exited with ${rc}")
endif()
if(NOT out MATCHES "freed a moment before +[0-9.]+ ms for 4 MiB \\([0-9.]+ ms per MiB\\)")
  message(FATAL_ERROR "bench_first_touch printed no warm median")
endif()
if(NOT out MATCHES "free for 1 s +[0-9.]+ ms for 4 MiB \\([0-9.]+ ms per MiB\\)")
  message(FATAL_ERROR "bench_first_touch printed no cold median")
endif()
execute_process(COMMAND ${EXE} --mib 0 RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 2 OR NOT err MATCHES "--mib needs a positive integer, got '0'")
  message(FATAL_ERROR "bench_first_touch --mib 0: expected exit 2 and a message, got ${rc}: ${err}")
endif()
