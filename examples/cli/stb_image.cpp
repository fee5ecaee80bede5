// fixnet-mnist: the one translation unit that compiles stb_image (Debian's libstb-dev).
#define STB_IMAGE_IMPLEMENTATION
#define STBI_FAILURE_USERMSG
#define STBI_MAX_DIMENSIONS 16384  // as classify's limit: larger headers are refused unread
#include <stb_image.h>
