select count(*) from t where id > $1
