# ctest bench.scaling_smoke: runs bench/scaling.sh at a tiny size and checks the shape of the table it
# prints (no timings): the header, one row per thread count the machine has, 1.00x and 100% on the first
# row, a thread count above the cores skipped; and that a bad option fails with a message.
# cmake -DSCRIPT=<bench/scaling.sh> -DBENCH=<bench_step> -P scaling_smoke.cmake
execute_process(COMMAND nproc OUTPUT_VARIABLE cores OUTPUT_STRIP_TRAILING_WHITESPACE)
execute_process(COMMAND bash ${SCRIPT} --bench ${BENCH} --customers 3000 --steps 2 --repeats 1
                        --threads 1,2,100000
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
message("${out}${err}")
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "scaling.sh exited with ${rc}")
endif()
if(NOT out MATCHES "\n\\| threads \\| customer-steps/s \\| speed-up \\| efficiency \\| peak RSS per customer \\|\n\\|---:\\|---:\\|---:\\|---:\\|---:\\|\n")
  message(FATAL_ERROR "scaling.sh printed no table header")
endif()
if(NOT out MATCHES "Machine: [^\n]+ logical CPU")
  message(FATAL_ERROR "scaling.sh printed no machine line")
endif()
if(NOT out MATCHES "Skipped \\(more threads than cores\\): 100000")
  message(FATAL_ERROR "scaling.sh did not skip 100000 threads")
endif()
string(REGEX MATCHALL "\n\\| [0-9]+ \\| [0-9]+\\.[0-9][0-9] M \\| [0-9]+\\.[0-9][0-9]x \\| [0-9]+% \\| [0-9]+ B \\|" rows "${out}")
list(LENGTH rows n)
set(want 1)
if(cores GREATER_EQUAL 2)
  set(want 2)
endif()
if(NOT n EQUAL want)
  message(FATAL_ERROR "scaling.sh printed ${n} table rows, expected ${want} (nproc = ${cores})")
endif()
if(NOT out MATCHES "\n\\| 1 \\| [0-9.]+ M \\| 1\\.00x \\| 100% \\|")
  message(FATAL_ERROR "the first row is not 1 thread at 1.00x and 100%")
endif()
execute_process(COMMAND bash ${SCRIPT} --bench ${BENCH} --repeats 0 RESULT_VARIABLE bad_rc ERROR_VARIABLE bad_err
                OUTPUT_QUIET)
if(NOT bad_rc EQUAL 2 OR NOT bad_err MATCHES "--repeats needs a positive integer, got '0'")
  message(FATAL_ERROR "scaling.sh --repeats 0: exit ${bad_rc}, message '${bad_err}'")
endif()
