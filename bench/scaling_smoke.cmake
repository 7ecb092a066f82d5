# ctest bench.scaling_smoke: runs bench/scaling.sh at a tiny size and checks the shape of the table it
# prints (no timings): the header, one row per thread count the machine has, 1.00x and 100% on the first
# row, a thread count above the cores skipped; and that a bad option fails with a message.
# cmake -DSCRIPT=<bench/scaling.sh> -DBENCH=<bench_step> -P scaling_smoke.cmake
include(${CMAKE_CURRENT_LIST_DIR}/smoke.cmake)
execute_process(COMMAND nproc OUTPUT_VARIABLE cores OUTPUT_STRIP_TRAILING_WHITESPACE)
smoke_run(scaling.sh out bash ${SCRIPT} --bench ${BENCH} --customers 3000 --steps 2 --repeats 1
          --threads 1,2,100000)
smoke_expect(scaling.sh "${out}"
             "\n\\| threads \\| customer-steps/s \\| speed-up \\| efficiency \\| peak RSS per customer \\|\n\\|---:\\|---:\\|---:\\|---:\\|---:\\|\n"
             "table header")
smoke_expect(scaling.sh "${out}" "Machine: [^\n]+ logical CPU" "machine line")
smoke_expect(scaling.sh "${out}" "Skipped \\(more threads than cores\\): 100000" "line skipping 100000 threads")
string(REGEX MATCHALL "\n\\| [0-9]+ \\| [0-9]+\\.[0-9][0-9] M \\| [0-9]+\\.[0-9][0-9]x \\| [0-9]+% \\| [0-9]+ B \\|" rows "${out}")
list(LENGTH rows n)
set(want 1)
if(cores GREATER_EQUAL 2)
  set(want 2)
endif()
if(NOT n EQUAL want)
  message(FATAL_ERROR "scaling.sh printed ${n} table rows, expected ${want} (nproc = ${cores})")
endif()
smoke_expect(scaling.sh "${out}" "\n\\| 1 \\| [0-9.]+ M \\| 1\\.00x \\| 100% \\|" "first row of 1 thread at 1.00x and 100%")
smoke_refuses("scaling.sh --repeats 0" "--repeats needs a positive integer, got '0'" bash ${SCRIPT} --bench ${BENCH}
              --repeats 0)
