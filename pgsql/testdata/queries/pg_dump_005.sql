SET extra_float_digits TO 3
