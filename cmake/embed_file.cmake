# Run as `cmake -DIN=file -DOUT=file.c -DSYMBOL=name -P embed_file.cmake` at
# build time: writes a C source holding IN's bytes as
#   const unsigned char SYMBOL[]; const size_t SYMBOL_len;
# (NUL-terminated too, so it can be written with fputs). A C array rather
# than a linker trick so that every compiler and the wheel build take it.
file(READ "${IN}" _hex HEX)
string(LENGTH "${_hex}" _hex_len)
math(EXPR _len "${_hex_len} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," _bytes "${_hex}")
# One line per 32 bytes keeps the generated file readable by editors.
string(REGEX REPLACE "((0x..,){32})" "\\1\n" _bytes "${_bytes}")
file(WRITE "${OUT}.tmp"
  "/* Generated from ${IN} by cmake/embed_file.cmake; do not edit. */\n"
  "#include <stddef.h>\n"
  "extern const unsigned char ${SYMBOL}[];\n"
  "extern const size_t ${SYMBOL}_len;\n"
  "const unsigned char ${SYMBOL}[] = {\n${_bytes}0x00};\n"
  "const size_t ${SYMBOL}_len = ${_len};\n")
file(RENAME "${OUT}.tmp" "${OUT}")
