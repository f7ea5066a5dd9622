# Warnings and hardening flags applied to every KYConnect target through kyc_harden().
add_library(kyc_flags INTERFACE)
target_compile_options(kyc_flags INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wcast-align -Woverloaded-virtual
  -fstack-protector-strong -fno-strict-overflow)
if(KYC_WERROR)
  target_compile_options(kyc_flags INTERFACE -Werror)
endif()
# _FORTIFY_SOURCE needs optimisation; Debug builds skip it rather than warn.
# ASan replaces the checked functions itself: no _FORTIFY_SOURCE in the fuzz build.
if(NOT KYC_FUZZ)
  target_compile_definitions(kyc_flags INTERFACE $<$<NOT:$<CONFIG:Debug>>:_FORTIFY_SOURCE=2>)
endif()
target_compile_definitions(kyc_flags INTERFACE
  QT_NO_CAST_FROM_ASCII QT_NO_URL_CAST_FROM_STRING QT_USE_QSTRINGBUILDER)
target_link_options(kyc_flags INTERFACE -Wl,-z,relro -Wl,-z,now -Wl,-z,noexecstack -pie)

function(kyc_harden target)
  target_link_libraries(${target} PRIVATE kyc_flags)
endfunction()
