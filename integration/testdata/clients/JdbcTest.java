// JdbcTest holds the pgjdbc checks of the sqlcluster integration suite.
//
// Usage: java -cp DIR:postgresql.jar JdbcTest JDBC_URL USER PASSWORD
//
// The URL names an empty database; PASSWORD may be empty (trust). Every
// check runs with its own tables; the program prints "ok NAME" or
// "FAIL NAME" with the stack trace and exits 1 if any check failed.
// pgjdbc switches to named statements and binary results from the 5th
// execution of a PreparedStatement, uses named portals with Execute
// max_rows for setFetchSize, reads catalog tables for ResultSetMetaData and
// DatabaseMetaData, and cancels with a CancelRequest on setQueryTimeout —
// each check targets one of those paths.

import java.math.BigDecimal;
import java.sql.BatchUpdateException;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.sql.Types;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.UUID;

public class JdbcTest {
    static final String LONG_QUERY =
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x < 100000000) SELECT count(*) FROM c";

    static String url;
    static String user;
    static String password;

    interface Check {
        void run() throws Exception;
    }

    static Connection connect() throws SQLException {
        Properties p = new Properties();
        p.setProperty("user", user);
        if (!password.isEmpty()) {
            p.setProperty("password", password);
        }
        return DriverManager.getConnection(url, p);
    }

    static void eq(Object got, Object want, String what) {
        if (!Objects.equals(got, want)) {
            throw new AssertionError(what + ": got " + got + ", want " + want);
        }
    }

    static void exec(Connection c, String... sqls) throws SQLException {
        try (Statement s = c.createStatement()) {
            for (String sql : sqls) {
                s.execute(sql);
            }
        }
    }

    static long count(Connection c, String table) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("select count(*) from " + table)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /** Toy test 7: setFetchSize(2) over 7 rows with autocommit off. */
    static void fetchSize() throws Exception {
        try (Connection c = connect()) {
            exec(c, "create table seven (i integer primary key)");
            for (int i = 1; i <= 7; i++) {
                exec(c, "insert into seven values (" + i + ")");
            }
            c.setAutoCommit(false);
            List<Integer> got = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement("select i from seven order by i")) {
                ps.setFetchSize(2);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        got.add(rs.getInt(1));
                    }
                }
            }
            eq(got, Arrays.asList(1, 2, 3, 4, 5, 6, 7), "rows fetched 2 at a time");
            // The suspended portal must survive another statement in between.
            got.clear();
            try (Statement s = c.createStatement()) {
                s.setFetchSize(3);
                try (ResultSet rs = s.executeQuery("select i from seven order by i")) {
                    rs.next();
                    got.add(rs.getInt(1));
                    eq(count(c, "seven"), 7L, "count while a portal is open");
                    while (rs.next()) {
                        got.add(rs.getInt(1));
                    }
                }
            }
            eq(got, Arrays.asList(1, 2, 3, 4, 5, 6, 7), "rows around an interleaved query");
            c.commit();
        }
    }

    /** Toy test 8: the same PreparedStatement 6 times (binary from the 5th). */
    static void repeatedPrepared() throws Exception {
        try (Connection c = connect()) {
            exec(c, "create table jt (id integer primary key, score double precision, created timestamptz)");
            OffsetDateTime base = OffsetDateTime.of(2024, 2, 29, 13, 14, 15, 123456000, ZoneOffset.ofHours(2));
            try (PreparedStatement ins = c.prepareStatement("insert into jt values (?, ?, ?)")) {
                for (int i = 1; i <= 3; i++) {
                    ins.setInt(1, i);
                    ins.setDouble(2, i + 0.25);
                    ins.setObject(3, base.plusHours(i));
                    eq(ins.executeUpdate(), 1, "insert count");
                }
            }
            try (PreparedStatement ps = c.prepareStatement("select id, score, created from jt where id = ?")) {
                for (int n = 0; n < 6; n++) {
                    int id = 1 + n % 3;
                    ps.setInt(1, id);
                    try (ResultSet rs = ps.executeQuery()) {
                        eq(rs.next(), true, "row present, execution " + (n + 1));
                        eq(rs.getInt(1), id, "int4, execution " + (n + 1));
                        eq(rs.getObject(1), id, "int4 getObject, execution " + (n + 1));
                        eq(rs.getDouble(2), id + 0.25, "float8, execution " + (n + 1));
                        eq(rs.getObject(3, OffsetDateTime.class).toInstant(), base.plusHours(id).toInstant(),
                            "timestamptz, execution " + (n + 1));
                        eq(rs.getTimestamp(3).toInstant(), base.plusHours(id).toInstant(),
                            "timestamptz getTimestamp, execution " + (n + 1));
                        eq(rs.next(), false, "single row, execution " + (n + 1));
                    }
                }
            }
            try (PreparedStatement ps = c.prepareStatement("select ?::int4 + 1 as a, ?::float8 * 2 as b, ?::timestamptz as t")) {
                for (int n = 0; n < 6; n++) {
                    ps.setInt(1, n);
                    ps.setDouble(2, n + 0.5);
                    ps.setObject(3, base.plusMinutes(n));
                    try (ResultSet rs = ps.executeQuery()) {
                        rs.next();
                        eq(rs.getInt("a"), n + 1, "a, execution " + (n + 1));
                        eq(rs.getDouble("b"), 2 * (n + 0.5), "b, execution " + (n + 1));
                        eq(rs.getObject("t", OffsetDateTime.class).toInstant(), base.plusMinutes(n).toInstant(),
                            "t, execution " + (n + 1));
                    }
                }
            }
        }
    }

    /** Values of many types through setXxx and getObject (OID 0 breaks getObject). */
    static void types() throws Exception {
        try (Connection c = connect()) {
            exec(c, "create table ty (id integer primary key, s smallint, b bigint, n numeric(12,3), f boolean,"
                + " by bytea, d date, ts timestamp, u uuid, t text, r real)");
            UUID uuid = UUID.fromString("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11");
            LocalDateTime ts = LocalDateTime.of(2024, 2, 29, 13, 14, 15, 123456000);
            byte[] bytes = {0, 1, (byte) 0x7f, (byte) 0x80, (byte) 0xff, '\\', '\''};
            for (int n = 1; n <= 6; n++) {
                try (PreparedStatement ps = c.prepareStatement("insert into ty values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
                    ps.setInt(1, n);
                    ps.setShort(2, (short) -12345);
                    ps.setLong(3, Long.MIN_VALUE);
                    ps.setBigDecimal(4, new BigDecimal("12345.678"));
                    ps.setBoolean(5, n % 2 == 0);
                    ps.setBytes(6, bytes);
                    ps.setObject(7, LocalDate.of(2024, 2, 29));
                    ps.setTimestamp(8, Timestamp.valueOf(ts));
                    ps.setObject(9, uuid);
                    ps.setString(10, "héllo ✓ 'q'");
                    ps.setFloat(11, 1.5f);
                    eq(ps.executeUpdate(), 1, "insert count");
                }
            }
            try (PreparedStatement ps = c.prepareStatement("select s, b, n, f, by, d, ts, u, t, r from ty where id = ?")) {
                for (int n = 1; n <= 6; n++) {
                    ps.setInt(1, n);
                    try (ResultSet rs = ps.executeQuery()) {
                        rs.next();
                        String at = " (row " + n + ")";
                        eq(rs.getObject(1), 12345 * -1, "smallint getObject" + at);
                        eq(rs.getObject(2), Long.MIN_VALUE, "bigint" + at);
                        eq(rs.getObject(3), new BigDecimal("12345.678"), "numeric" + at);
                        eq(rs.getObject(4), n % 2 == 0, "boolean" + at);
                        eq(Arrays.equals(rs.getBytes(5), bytes), true, "bytea" + at);
                        eq(rs.getObject(6, LocalDate.class), LocalDate.of(2024, 2, 29), "date" + at);
                        eq(rs.getObject(7, LocalDateTime.class), ts, "timestamp" + at);
                        eq(rs.getObject(8), uuid, "uuid" + at);
                        eq(rs.getObject(9), "héllo ✓ 'q'", "text" + at);
                        eq(rs.getObject(10), 1.5f, "real" + at);
                        eq(rs.getMetaData().getColumnType(1), Types.SMALLINT, "smallint type" + at);
                        eq(rs.getMetaData().getColumnType(3), Types.NUMERIC, "numeric type" + at);
                        eq(rs.getMetaData().getColumnType(4), Types.BIT, "boolean type" + at);
                        eq(rs.getMetaData().getColumnType(5), Types.BINARY, "bytea type" + at);
                    }
                }
            }
        }
    }

    static void resultSetMetaData() throws Exception {
        try (Connection c = connect()) {
            exec(c, "create table meta_t (id integer primary key, name text not null, score double precision, note varchar(30))");
            try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("select id, name, score, note from meta_t")) {
                ResultSetMetaData md = rs.getMetaData();
                eq(md.getColumnCount(), 4, "column count");
                int[] types = {Types.INTEGER, Types.VARCHAR, Types.DOUBLE, Types.VARCHAR};
                String[] names = {"int4", "text", "float8", "varchar"};
                String[] cols = {"id", "name", "score", "note"};
                int[] nullable = {ResultSetMetaData.columnNoNulls, ResultSetMetaData.columnNoNulls,
                    ResultSetMetaData.columnNullable, ResultSetMetaData.columnNullable};
                for (int i = 1; i <= 4; i++) {
                    eq(md.getColumnName(i), cols[i - 1], "getColumnName(" + i + ")");
                    eq(md.getColumnType(i), types[i - 1], "getColumnType(" + i + ")");
                    eq(md.getColumnTypeName(i), names[i - 1], "getColumnTypeName(" + i + ")");
                    eq(md.getTableName(i), "meta_t", "getTableName(" + i + ")");
                    eq(md.isNullable(i), nullable[i - 1], "isNullable(" + i + ")");
                }
            }
        }
    }

    static void databaseMetaData() throws Exception {
        try (Connection c = connect()) {
            exec(c, "create table dm_t (id integer primary key, label text not null, amount double precision, code varchar(12))");
            DatabaseMetaData dm = c.getMetaData();
            eq(dm.getDatabaseProductName(), "PostgreSQL", "product name");
            try (ResultSet rs = dm.getTables(null, "public", "dm_t", new String[] {"TABLE"})) {
                eq(rs.next(), true, "getTables finds dm_t");
                eq(rs.getString("TABLE_SCHEM"), "public", "TABLE_SCHEM");
                eq(rs.getString("TABLE_NAME"), "dm_t", "TABLE_NAME");
                eq(rs.getString("TABLE_TYPE"), "TABLE", "TABLE_TYPE");
                eq(rs.next(), false, "getTables: one table");
            }
            try (ResultSet rs = dm.getTables(null, "public", "%", new String[] {"TABLE"})) {
                List<String> tables = new ArrayList<>();
                while (rs.next()) {
                    tables.add(rs.getString("TABLE_NAME"));
                }
                eq(tables.contains("dm_t"), true, "getTables(%) lists dm_t: " + tables);
            }
            String[] cols = {"id", "label", "amount", "code"};
            String[] typeNames = {"int4", "text", "float8", "varchar"};
            int[] types = {Types.INTEGER, Types.VARCHAR, Types.DOUBLE, Types.VARCHAR};
            int[] nullable = {DatabaseMetaData.columnNoNulls, DatabaseMetaData.columnNoNulls,
                DatabaseMetaData.columnNullable, DatabaseMetaData.columnNullable};
            try (ResultSet rs = dm.getColumns(null, "public", "dm_t", null)) {
                for (int i = 0; i < cols.length; i++) {
                    eq(rs.next(), true, "getColumns row " + (i + 1));
                    eq(rs.getString("TABLE_NAME"), "dm_t", "TABLE_NAME");
                    eq(rs.getString("COLUMN_NAME"), cols[i], "COLUMN_NAME " + (i + 1));
                    eq(rs.getString("TYPE_NAME"), typeNames[i], "TYPE_NAME of " + cols[i]);
                    eq(rs.getInt("DATA_TYPE"), types[i], "DATA_TYPE of " + cols[i]);
                    eq(rs.getInt("NULLABLE"), nullable[i], "NULLABLE of " + cols[i]);
                    eq(rs.getInt("ORDINAL_POSITION"), i + 1, "ORDINAL_POSITION of " + cols[i]);
                }
                eq(rs.next(), false, "getColumns: four columns");
            }
            try (ResultSet rs = dm.getColumns(null, "public", "dm_t", "code")) {
                eq(rs.next(), true, "getColumns(code)");
                eq(rs.getInt("COLUMN_SIZE"), 12, "COLUMN_SIZE of varchar(12)");
            }
        }
    }

    static void generatedKeys() throws Exception {
        try (Connection c = connect()) {
            exec(c, "create table gk (id serial primary key, name text)");
            try (PreparedStatement ps = c.prepareStatement("insert into gk (name) values (?)", Statement.RETURN_GENERATED_KEYS)) {
                for (int i = 1; i <= 2; i++) {
                    ps.setString(1, "n" + i);
                    eq(ps.executeUpdate(), 1, "update count");
                    try (ResultSet rs = ps.getGeneratedKeys()) {
                        eq(rs.next(), true, "generated key row");
                        eq(rs.getInt("id"), i, "generated id");
                        eq(rs.getString("name"), "n" + i, "RETURNING * includes name");
                    }
                }
            }
            try (PreparedStatement ps = c.prepareStatement("insert into gk (name) values (?)", new String[] {"id"})) {
                ps.setString(1, "n3");
                eq(ps.executeUpdate(), 1, "update count");
                try (ResultSet rs = ps.getGeneratedKeys()) {
                    eq(rs.next(), true, "generated key row");
                    eq(rs.getInt(1), 3, "generated id by column name");
                    eq(rs.getMetaData().getColumnCount(), 1, "RETURNING id only");
                }
            }
        }
    }

    static void queryTimeout() throws Exception {
        try (Connection c = connect(); Statement s = c.createStatement()) {
            s.setQueryTimeout(1);
            long t0 = System.nanoTime();
            try {
                s.executeQuery(LONG_QUERY);
                throw new AssertionError("long query was not cancelled");
            } catch (SQLException e) {
                eq(e.getSQLState(), "57014", "SQLState of cancelled query (" + e.getMessage() + ")");
            }
            long ms = (System.nanoTime() - t0) / 1_000_000;
            if (ms > 6000) {
                throw new AssertionError("cancel took " + ms + " ms");
            }
            s.setQueryTimeout(0);
            try (ResultSet rs = s.executeQuery("select 40 + 2")) {
                rs.next();
                eq(rs.getInt(1), 42, "connection usable after cancel");
            }
        }
    }

    static void batch() throws Exception {
        try (Connection c = connect()) {
            exec(c, "create table bt (id integer primary key, v text)");
            try (PreparedStatement ps = c.prepareStatement("insert into bt values (?, ?)")) {
                for (int i = 1; i <= 10; i++) {
                    ps.setInt(1, i);
                    ps.setString(2, "v" + i);
                    ps.addBatch();
                }
                int[] r = ps.executeBatch();
                eq(r.length, 10, "batch result count");
                for (int x : r) {
                    eq(x, 1, "batch update count");
                }
            }
            try (Statement s = c.createStatement()) {
                s.addBatch("update bt set v = 'x' where id <= 3");
                s.addBatch("delete from bt where id = 10");
                s.addBatch("insert into bt values (11, 'y')");
                eq(Arrays.toString(s.executeBatch()), "[3, 1, 1]", "statement batch counts");
            }
            eq(count(c, "bt"), 10L, "rows after batches");
            try (PreparedStatement ps = c.prepareStatement("insert into bt values (?, ?)")) {
                for (int id : new int[] {20, 21, 1}) {
                    ps.setInt(1, id);
                    ps.setString(2, "z");
                    ps.addBatch();
                }
                ps.executeBatch();
                throw new AssertionError("batch with a duplicate key succeeded");
            } catch (BatchUpdateException e) {
                List<String> states = new ArrayList<>();
                for (SQLException x = e; x != null; x = x.getNextException()) {
                    states.add(x.getSQLState());
                }
                eq(states.contains("23505"), true, "SQLStates of failed batch " + states);
            }
            eq(count(c, "bt"), 10L, "failed batch left no rows (one implicit transaction)");
        }
    }

    static void transactions() throws Exception {
        try (Connection c = connect()) {
            exec(c, "create table txj (id integer primary key)");
            c.setAutoCommit(false);
            exec(c, "insert into txj values (1)");
            c.rollback();
            eq(count(c, "txj"), 0L, "rows after rollback");
            exec(c, "insert into txj values (2)");
            c.commit();
            try {
                exec(c, "insert into txj values (2)");
                throw new AssertionError("duplicate insert succeeded");
            } catch (SQLException e) {
                eq(e.getSQLState(), "23505", "duplicate SQLState");
            }
            try {
                count(c, "txj");
                throw new AssertionError("statement in failed transaction succeeded");
            } catch (SQLException e) {
                eq(e.getSQLState(), "25P02", "SQLState in failed transaction");
            }
            c.rollback();
            eq(count(c, "txj"), 1L, "rows after commit and failed transaction");
            c.commit();
        }
    }

    public static void main(String[] args) throws Exception {
        url = args[0];
        user = args[1];
        password = args.length > 2 ? args[2] : "";
        Map<String, Check> checks = new LinkedHashMap<>();
        checks.put("fetch_size", JdbcTest::fetchSize);
        checks.put("repeated_prepared", JdbcTest::repeatedPrepared);
        checks.put("types", JdbcTest::types);
        checks.put("result_set_metadata", JdbcTest::resultSetMetaData);
        checks.put("database_metadata", JdbcTest::databaseMetaData);
        checks.put("generated_keys", JdbcTest::generatedKeys);
        checks.put("query_timeout", JdbcTest::queryTimeout);
        checks.put("batch", JdbcTest::batch);
        checks.put("transactions", JdbcTest::transactions);
        int failed = 0;
        for (Map.Entry<String, Check> e : checks.entrySet()) {
            try {
                e.getValue().run();
                System.out.println("ok   " + e.getKey());
            } catch (Throwable t) {
                failed++;
                System.out.println("FAIL " + e.getKey());
                t.printStackTrace(System.out);
            }
            System.out.flush();
        }
        if (failed > 0) {
            System.out.println(failed + " of " + checks.size() + " pgjdbc checks failed");
            System.exit(1);
        }
        System.out.println("all " + checks.size() + " pgjdbc checks passed");
    }
}
