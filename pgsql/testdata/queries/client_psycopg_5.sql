CLOSE "my-cursor"
