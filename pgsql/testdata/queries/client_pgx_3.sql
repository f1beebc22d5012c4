COPY "public"."t" ( "id", "name" ) FROM STDIN BINARY;
