#include "run/group.h"

#include <unistd.h>

namespace iobench {

std::string Group::host() const {
  char name[256] = {};
  ::gethostname(name, sizeof name - 1);
  return name;
}

Group& solo() {
  static Group one;
  return one;
}

}  // namespace iobench
