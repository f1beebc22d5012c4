import java.sql.*;
public class Meta {
  static void dump(ResultSet rs) throws SQLException {
    ResultSetMetaData md = rs.getMetaData();
    int n = md.getColumnCount();
    while (rs.next()) {
      StringBuilder sb = new StringBuilder();
      for (int i = 1; i <= n; i++) { if (i>1) sb.append(" | "); sb.append(md.getColumnLabel(i)).append("=").append(rs.getString(i)); }
      System.out.println(sb);
    }
  }
  public static void main(String[] a) throws Exception {
    Connection c = DriverManager.getConnection(a[0], "postgres", "");
    DatabaseMetaData dm = c.getMetaData();
    System.out.println("== getTables"); dump(dm.getTables(null, "public", "%", new String[]{"TABLE","VIEW"}));
    System.out.println("== getColumns"); dump(dm.getColumns(null, "public", "users", "%"));
    System.out.println("== getPrimaryKeys"); dump(dm.getPrimaryKeys(null, "public", "orders"));
    System.out.println("== getIndexInfo"); dump(dm.getIndexInfo(null, "public", "orders", false, true));
    System.out.println("== rsmd");
    Statement st = c.createStatement();
    ResultSet rs = st.executeQuery("SELECT id, name, email, active, created, balance, 1+1 AS two FROM users");
    ResultSetMetaData md = rs.getMetaData();
    for (int i = 1; i <= md.getColumnCount(); i++) {
      System.out.println(md.getColumnName(i)+" table="+md.getTableName(i)+" schema="+md.getSchemaName(i)+" type="+md.getColumnTypeName(i)+" jdbc="+md.getColumnType(i)+" nullable="+md.isNullable(i)+" auto="+md.isAutoIncrement(i)+" prec="+md.getPrecision(i)+" scale="+md.getScale(i)+" class="+md.getColumnClassName(i)+" size="+md.getColumnDisplaySize(i));
    }
    c.close();
  }
}
