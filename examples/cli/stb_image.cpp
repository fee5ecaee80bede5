// fixnet-mnist: the one translation unit that compiles stb_image (Debian's libstb-dev).
#include "image_decode.h"

#define STB_IMAGE_IMPLEMENTATION
#define STBI_FAILURE_USERMSG
#define STBI_MAX_DIMENSIONS fixnet_cli::kMaxImageSide  // larger headers are refused unread
#include <stb_image.h>
