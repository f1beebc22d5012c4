import java.sql.*;
public class Types {
  public static void main(String[] a) throws Exception {
    Connection c = DriverManager.getConnection(a[0], "postgres", "");
    Statement st = c.createStatement();
    ResultSet rs = st.executeQuery("SELECT gen_random_uuid() AS u, '{}'::jsonb AS j, ARRAY['a'] AS ta, ARRAY[1] AS ia, interval '1 day' AS iv, 'x'::bytea AS b, '1.2.3.4'::inet AS ip, 'r'::\"char\" AS ch, 'n'::name AS nm, 1::oid AS o, 'x'::varchar(3) AS vc, now() AS ts, 'int4'::regtype AS rt, 'pg_class'::regclass AS rc, '1 2'::int2vector AS iv2, point(1,2) AS pt, 1::money AS m");
    ResultSetMetaData md = rs.getMetaData();
    rs.next();
    for (int i = 1; i <= md.getColumnCount(); i++) {
      System.out.println(md.getColumnName(i)+" type="+md.getColumnTypeName(i)+" jdbc="+md.getColumnType(i)+" class="+md.getColumnClassName(i)+" val="+rs.getObject(i));
    }
    DatabaseMetaData dm = c.getMetaData();
    ResultSet r2 = dm.getSchemas(); while (r2.next()) System.out.println("schema " + r2.getString(1));
    c.close();
  }
}
