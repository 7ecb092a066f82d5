# What the bench smoke scripts (ctest bench.*_smoke, run with cmake -P) share: run a command and require
# exit 0, require a pattern in its output, require a bad option to be refused with exit 2 and a message.
# No timing is ever checked.
cmake_minimum_required(VERSION 3.16)

# Runs the command (the arguments after `name` and `out_var`), echoes what it printed, fails unless it
# exited 0, and leaves its standard output in out_var.
function(smoke_run name out_var)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  message("${out}${err}")
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${name} exited with ${rc}")
  endif()
  set(${out_var} "${out}" PARENT_SCOPE)
endfunction()

# Fails with "<name> printed no <what>" unless text matches the regular expression.
function(smoke_expect name text regex what)
  if(NOT text MATCHES "${regex}")
    message(FATAL_ERROR "${name} printed no ${what}")
  endif()
endfunction()

# Runs the command (the arguments after `name` and `message_regex`) and fails unless it exits 2 with a
# message on standard error matching message_regex.
function(smoke_refuses name message_regex)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc ERROR_VARIABLE err OUTPUT_QUIET)
  if(NOT rc EQUAL 2 OR NOT err MATCHES "${message_regex}")
    message(FATAL_ERROR "${name}: expected exit 2 and a message matching '${message_regex}', got ${rc}: '${err}'")
  endif()
endfunction()
