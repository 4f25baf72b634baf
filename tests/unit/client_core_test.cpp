// (tests of this part are written in this file)
