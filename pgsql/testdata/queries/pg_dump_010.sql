SET row_security = off
