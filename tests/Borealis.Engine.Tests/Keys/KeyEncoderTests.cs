using System.Text;
using Borealis.Engine.Keys;
using Xunit.Abstractions;

namespace Borealis.Engine.Tests.Keys;

public class KeyEncoderTests(ITestOutputHelper output)
{
    private static readonly KeyType[] Types = Enum.GetValues<KeyType>();

    /// <summary>A model value: null, or a boxed CLR value of the column's type.</summary>
    private static object? RandomValue(Random rnd, KeyType t)
    {
        if (rnd.Next(8) == 0) return null;
        switch (t)
        {
            case KeyType.Bool: return rnd.Next(2) == 0;
            case KeyType.Int2: return (short)Pick(rnd, [short.MinValue, short.MaxValue, 0, -1, 1], () => rnd.Next(short.MinValue, short.MaxValue + 1));
            case KeyType.Int4: return (int)Pick(rnd, [int.MinValue, int.MaxValue, 0, -1, 1], () => rnd.Next(-50, 50) * (rnd.Next(2) == 0 ? 1 : 1_000_000));
            case KeyType.Int8 or KeyType.Timestamp: return Pick(rnd, [long.MinValue, long.MaxValue, 0, -1, 1], () => rnd.NextInt64(-100, 100) * (rnd.Next(2) == 0 ? 1 : 1L << 40));
            case KeyType.Float4:
                return (float)PickD(rnd, [float.NaN, float.PositiveInfinity, float.NegativeInfinity, 0f, -0f, float.Epsilon, -float.Epsilon, float.MaxValue, float.MinValue], () => (float)(rnd.Next(-20, 20) / 4.0));
            case KeyType.Float8:
                return PickD(rnd, [double.NaN, double.PositiveInfinity, double.NegativeInfinity, 0d, -0d, double.Epsilon, -double.Epsilon, double.MaxValue, double.MinValue], () => rnd.Next(-20, 20) / 4.0);
            default:
            {
                int n = rnd.Next(0, 5);
                var b = new byte[n];
                // A tiny alphabet with zero bytes and 0xFF makes prefixes and escapes common.
                byte[] alphabet = t == KeyType.Text ? [0, 1, (byte)'a', (byte)'b', 0x7F] : [0, 1, 0xFE, 0xFF, (byte)'a'];
                for (int i = 0; i < n; i++) b[i] = alphabet[rnd.Next(alphabet.Length)];
                return b;
            }
        }

        static long Pick(Random rnd, long[] special, Func<long> gen) => rnd.Next(4) == 0 ? special[rnd.Next(special.Length)] : gen();
        static double PickD(Random rnd, double[] special, Func<double> gen) => rnd.Next(4) == 0 ? special[rnd.Next(special.Length)] : gen();
    }

    /// <summary>SQL (PostgreSQL) order of one column's values, nulls and direction included.</summary>
    private static int CompareColumn(object? a, object? b, KeyColumn c)
    {
        if (a is null || b is null)
        {
            if (a is null && b is null) return 0;
            int nullSide = c.NullsFirst ? -1 : 1;
            return a is null ? nullSide : -nullSide;
        }
        int r = a switch
        {
            bool x => x.CompareTo((bool)b),
            short x => x.CompareTo((short)b),
            int x => x.CompareTo((int)b),
            long x => x.CompareTo((long)b),
            float x => PgCompare(x, (float)b),
            double x => PgCompare(x, (double)b),
            byte[] x => x.AsSpan().SequenceCompareTo((byte[])b),
            _ => throw new InvalidOperationException(),
        };
        return c.Descending ? -Math.Sign(r) : Math.Sign(r);

        // PostgreSQL: NaN = NaN and NaN > everything; -0 = 0 (IEEE equality).
        static int PgCompare(double x, double y)
        {
            if (double.IsNaN(x)) return double.IsNaN(y) ? 0 : 1;
            if (double.IsNaN(y)) return -1;
            return x < y ? -1 : x > y ? 1 : 0;
        }
    }

    private static int Encode(object?[] row, KeyColumn[] cols, Span<byte> dest)
    {
        var e = new KeyEncoder(dest);
        for (int i = 0; i < cols.Length; i++)
        {
            var c = cols[i];
            bool ok = row[i] switch
            {
                null => e.WriteNull(c),
                bool x => e.WriteBool(x, c),
                short x => e.WriteInt16(x, c),
                int x => e.WriteInt32(x, c),
                long x => c.Type == KeyType.Timestamp ? e.WriteTimestamp(x, c) : e.WriteInt64(x, c),
                float x => e.WriteFloat32(x, c),
                double x => e.WriteFloat64(x, c),
                byte[] x => e.WriteBytes(x, c),
                _ => throw new InvalidOperationException(),
            };
            Assert.True(ok);
        }
        return e.Length;
    }

    private static int Seed(int fallback)
        => int.TryParse(Environment.GetEnvironmentVariable("BOREALIS_SEED"), out int s) ? s : fallback;

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void EncodedOrderIsSqlOrderForRandomCompositeTuples(int seedArg)
    {
        int seed = Seed(seedArg);
        output.WriteLine($"seed {seed} (replay with BOREALIS_SEED={seed})");
        var rnd = new Random(seed);
        Span<byte> ea = stackalloc byte[256];
        Span<byte> eb = stackalloc byte[256];
        for (int round = 0; round < 300; round++)
        {
            int n = rnd.Next(1, 5);
            var cols = new KeyColumn[n];
            for (int i = 0; i < n; i++)
            {
                bool desc = rnd.Next(2) == 0;
                cols[i] = new KeyColumn(Types[rnd.Next(Types.Length)], desc, rnd.Next(3) switch { 0 => true, 1 => false, _ => null });
            }
            var rows = new List<object?[]>();
            for (int r = 0; r < 30; r++)
            {
                var row = new object?[n];
                for (int i = 0; i < n; i++) row[i] = RandomValue(rnd, cols[i].Type);
                // Often share a prefix of columns with an earlier row, so later columns decide.
                if (rows.Count > 0 && rnd.Next(2) == 0)
                {
                    var other = rows[rnd.Next(rows.Count)];
                    int shared = rnd.Next(n);
                    for (int i = 0; i < shared; i++) row[i] = other[i];
                }
                rows.Add(row);
            }
            foreach (var a in rows)
            {
                int la = Encode(a, cols, ea);
                RoundTrips(a, cols, ea[..la]);
                foreach (var b in rows)
                {
                    int lb = Encode(b, cols, eb);
                    int model = 0;
                    for (int i = 0; i < n && model == 0; i++) model = CompareColumn(a[i], b[i], cols[i]);
                    int enc = Math.Sign(ea[..la].SequenceCompareTo(eb[..lb]));
                    if (model != enc)
                        Assert.Fail($"seed {seed}: cols [{string.Join(", ", cols)}] a=({Show(a)}) b=({Show(b)}) model {model} encoded {enc}");
                }
            }
        }
    }

    private static string Show(object?[] row) => string.Join(", ", row.Select(v => v switch
    {
        null => "NULL",
        byte[] b => Convert.ToHexString(b),
        _ => v.ToString(),
    }));

    private static void RoundTrips(object?[] row, KeyColumn[] cols, ReadOnlySpan<byte> key)
    {
        var d = new KeyDecoder(key);
        Span<byte> buf = stackalloc byte[64];
        for (int i = 0; i < cols.Length; i++)
        {
            var c = cols[i];
            object? got;
            switch (c.Type)
            {
                case KeyType.Bool: got = d.ReadBool(c, out bool b) ? b : null; break;
                case KeyType.Int2: got = d.ReadInt16(c, out short s) ? s : null; break;
                case KeyType.Int4: got = d.ReadInt32(c, out int x) ? x : null; break;
                case KeyType.Int8: got = d.ReadInt64(c, out long l) ? l : null; break;
                case KeyType.Timestamp: got = d.ReadTimestamp(c, out long ts) ? ts : null; break;
                case KeyType.Float4: got = d.ReadFloat32(c, out float f) ? f : null; break;
                case KeyType.Float8: got = d.ReadFloat64(c, out double db) ? db : null; break;
                default: got = d.ReadBytes(c, buf, out int len) ? buf[..len].ToArray() : null; break;
            }
            object? want = row[i] switch
            {
                float f when f == 0 => 0f,  // -0 decodes as 0
                double v when v == 0 => 0d,
                var v => v,
            };
            if (want is byte[] wb) Assert.Equal(wb, (byte[])got!);
            else Assert.Equal(want, got);
        }
        Assert.True(d.AtEnd);
    }

    [Fact]
    public void EncodingsArePinned()
    {
        var asc = new KeyColumn(KeyType.Int4);
        var desc = new KeyColumn(KeyType.Int4, descending: true);
        Assert.True(desc.NullsFirst); // PostgreSQL: DESC defaults to NULLS FIRST
        Assert.False(asc.NullsFirst);
        Assert.Equal("0180000001", Hex((ref KeyEncoder e) => e.WriteInt32(1, asc)));
        Assert.Equal("017FFFFFFE", Hex((ref KeyEncoder e) => e.WriteInt32(1, desc)));
        Assert.Equal("02", Hex((ref KeyEncoder e) => e.WriteNull(asc)));
        Assert.Equal("00", Hex((ref KeyEncoder e) => e.WriteNull(desc)));
        Assert.Equal("018001", Hex((ref KeyEncoder e) => e.WriteInt16(1, new KeyColumn(KeyType.Int2))));
        Assert.Equal("018000000000000000", Hex((ref KeyEncoder e) => e.WriteInt64(0, new KeyColumn(KeyType.Int8))));
        Assert.Equal("0101", Hex((ref KeyEncoder e) => e.WriteBool(true, new KeyColumn(KeyType.Bool))));
        Assert.Equal("016100FF620001", Hex((ref KeyEncoder e) => e.WriteBytes("a\0b"u8, new KeyColumn(KeyType.Bytea))));
        Assert.Equal("01610001", Hex((ref KeyEncoder e) => e.WriteText("a", new KeyColumn(KeyType.Text))));
        Assert.Equal("019EFFFE", Hex((ref KeyEncoder e) => e.WriteText("a", new KeyColumn(KeyType.Text, descending: true))));
        Assert.Equal("01BFF0000000000000", Hex((ref KeyEncoder e) => e.WriteFloat64(1.0, new KeyColumn(KeyType.Float8))));
        Assert.Equal("018000000000000000", Hex((ref KeyEncoder e) => e.WriteFloat64(-0.0, new KeyColumn(KeyType.Float8))));
        Assert.Equal("01FFF8000000000000", Hex((ref KeyEncoder e) => e.WriteFloat64(double.NaN, new KeyColumn(KeyType.Float8))));
        Assert.Equal("01FFC00000", Hex((ref KeyEncoder e) => e.WriteFloat32(float.NaN, new KeyColumn(KeyType.Float4))));
        Assert.Equal((byte)1, (byte)KeyType.Bool);
        Assert.Equal((byte)2, (byte)KeyType.Int2);
        Assert.Equal((byte)3, (byte)KeyType.Int4);
        Assert.Equal((byte)4, (byte)KeyType.Int8);
        Assert.Equal((byte)5, (byte)KeyType.Float4);
        Assert.Equal((byte)6, (byte)KeyType.Float8);
        Assert.Equal((byte)7, (byte)KeyType.Text);
        Assert.Equal((byte)8, (byte)KeyType.Bytea);
        Assert.Equal((byte)9, (byte)KeyType.Timestamp);
    }

    private delegate bool Writer(ref KeyEncoder e);

    private static string Hex(Writer write)
    {
        Span<byte> buf = stackalloc byte[64];
        var e = new KeyEncoder(buf);
        Assert.True(write(ref e));
        return Convert.ToHexString(e.Written);
    }

    [Fact]
    public void TextOrderIsUtf8ByteOrderAndAPrefixSortsFirst()
    {
        string[] words = ["", "a", "a\0", "a\0b", "ab", "b", "é", "z", "\uFFFF", "😀"];
        var col = new KeyColumn(KeyType.Text);
        byte[] Enc(string s)
        {
            Span<byte> buf = stackalloc byte[64];
            var e = new KeyEncoder(buf);
            Assert.True(e.WriteText(s, col));
            return e.Written.ToArray();
        }
        for (int i = 0; i < words.Length; i++)
            for (int j = 0; j < words.Length; j++)
            {
                int model = Math.Sign(Encoding.UTF8.GetBytes(words[i]).AsSpan().SequenceCompareTo(Encoding.UTF8.GetBytes(words[j])));
                Assert.Equal(model, Math.Sign(Enc(words[i]).AsSpan().SequenceCompareTo(Enc(words[j]))));
            }
    }

    [Fact]
    public void ATooSmallDestinationFailsWithoutThrowing()
    {
        Span<byte> buf = stackalloc byte[6];
        var e = new KeyEncoder(buf);
        Assert.True(e.WriteInt32(5, new KeyColumn(KeyType.Int4)));
        Assert.False(e.WriteInt32(6, new KeyColumn(KeyType.Int4)));
        Assert.True(e.Overflowed);
        Assert.False(e.WriteNull(new KeyColumn(KeyType.Int4)));
        var e2 = new KeyEncoder(buf);
        Assert.False(e2.WriteText("abcdefgh", new KeyColumn(KeyType.Text)));
    }
}
