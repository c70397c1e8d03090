using System.Text;
using Borealis.Engine.Rows;
using Xunit.Abstractions;

namespace Borealis.Engine.Tests.Rows;

public class RowFormatTests(ITestOutputHelper output)
{
    private static readonly ColumnStorage[] Layout =
        [ColumnStorage.Int4, ColumnStorage.Int8, ColumnStorage.VarLen, ColumnStorage.Bool, ColumnStorage.Float8, ColumnStorage.VarLen];

    [Fact]
    public void PinsTheLayout()
    {
        Span<byte> buf = stackalloc byte[64];
        var w = new RowWriter(buf, 3);
        Assert.True(w.WriteInt32(0x01020304));
        Assert.True(w.WriteNull());
        Assert.True(w.WriteVarLen("ab"u8));
        int len = w.Finish();
        Assert.Equal(new byte[] { 3, 0, 0b010, 4, 3, 2, 1, 2, (byte)'a', (byte)'b' }, buf[..len].ToArray());

        var big = new byte[200];
        var buf2 = new byte[300];
        var w2 = new RowWriter(buf2, 1);
        w2.WriteVarLen(big);
        Assert.Equal(2 + 1 + 4 + 200, w2.Finish());
        Assert.Equal(new byte[] { 0x80, 0, 0, 200 }, buf2.AsSpan(3, 4).ToArray());
    }

    [Fact]
    public void RandomRowsRoundTrip()
    {
        int seed = Environment.TickCount;
        output.WriteLine($"seed {seed}");
        var rng = new Random(seed);
        var buf = new byte[4096];
        for (int iter = 0; iter < 2000; iter++)
        {
            int natts = rng.Next(0, Layout.Length + 1);
            var values = new object?[natts];
            var w = new RowWriter(buf, natts);
            for (int i = 0; i < natts; i++)
            {
                if (rng.Next(5) == 0) { w.WriteNull(); continue; }
                switch (i)
                {
                    case 0: { int v = rng.Next(int.MinValue, int.MaxValue); values[i] = v; w.WriteInt32(v); break; }
                    case 1: { long v = rng.NextInt64(); values[i] = v; w.WriteInt64(v); break; }
                    case 3: { bool v = rng.Next(2) == 0; values[i] = v; w.WriteBool(v); break; }
                    case 4: { double v = rng.NextDouble(); values[i] = v; w.WriteFloat64(v); break; }
                    default: { var s = new string('x', rng.Next(0, 300)); values[i] = s; w.WriteVarLen(Encoding.UTF8.GetBytes(s)); break; }
                }
            }
            int len = w.Finish();
            Assert.True(len > 0);
            var r = new RowReader(buf.AsSpan(0, len), Layout);
            Assert.True(r.IsValid);
            for (int i = 0; i < Layout.Length; i++)
            {
                Assert.True(r.MoveNext());
                object? expected = i < natts ? values[i] : null;
                if (expected is null) { Assert.True(r.CurrentIsNull); continue; }
                object actual = i switch
                {
                    0 => r.GetInt32(),
                    1 => r.GetInt64(),
                    3 => r.GetBool(),
                    4 => r.GetFloat64(),
                    _ => Encoding.UTF8.GetString(r.CurrentBytes),
                };
                Assert.Equal(expected, actual);
            }
            Assert.False(r.MoveNext());
        }
    }

    [Fact]
    public void GarbageNeverThrowsOrOverruns()
    {
        int seed = Environment.TickCount;
        output.WriteLine($"seed {seed}");
        var rng = new Random(seed);
        for (int iter = 0; iter < 20000; iter++)
        {
            var bytes = new byte[rng.Next(0, 40)];
            rng.NextBytes(bytes);
            if (bytes.Length >= 2 && rng.Next(2) == 0) { bytes[0] = (byte)rng.Next(0, 7); bytes[1] = 0; }
            var r = new RowReader(bytes, Layout);
            if (!r.IsValid) continue;
            while (r.MoveNext()) _ = r.CurrentBytes.Length;
        }
    }

    [Fact]
    public void TooSmallABufferIsReportedNotThrown()
    {
        Span<byte> buf = stackalloc byte[8];
        var w = new RowWriter(buf, 2);
        Assert.True(w.WriteInt32(1));
        Assert.False(w.WriteVarLen("too long for the buffer"u8));
        Assert.Equal(-1, w.Finish());
    }
}
