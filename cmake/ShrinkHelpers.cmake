# CMake helpers shared by the library, tests, benchmarks and tools.

# Turns on the project's warning set for TARGET (and -Werror with SHRINK_WERROR).
function(shrink_set_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wno-unused-parameter)
  if(SHRINK_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
