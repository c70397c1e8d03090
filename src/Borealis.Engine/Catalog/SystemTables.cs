using System.Buffers.Binary;
using System.Text;
using Borealis.Engine.Heap;
using Borealis.Engine.Rows;
using Borealis.Engine.Txn;

namespace Borealis.Engine.Catalog;

/// <summary>
/// The system heap tables and their row formats (rows in <see cref="RowFormat"/>). Column lists
/// are on-disk formats: only ever append columns (older rows then read the new ones as NULL).
/// <code>
/// table        columns (storage)
/// namespace    oid i8, name text
/// class        oid i8, name text, namespace i8, relkind i2 (char), page i8 (heap meta / B+tree meta / sequence page)
/// attribute    relid i8, attnum i2, name text, typid i4, typmod i4, notnull bool, default text?, dropped bool
/// index        indexrelid i8, relid i8, unique bool, primary bool, keys bytes (per key: attnum i2 LE, flags u8: 1 desc, 2 nulls first)
/// constraint   oid i8, name text, relid i8, kind i2 (char), keys bytes (attnum i2 LE each), indexoid i8, check text?
/// sequence     relid i8, start i8, increment i8, max i8, min i8, cache i8, cycle bool
/// database     oid i8, name text
/// authid       oid i8, name text, super bool
/// </code>
/// </summary>
internal static class SystemTables
{
    public const int Namespace = 0, Class = 1, Attribute = 2, Index = 3, Constraint = 4, Sequence = 5, Database = 6, AuthId = 7;
    public const int Count = 8;

    private static readonly ColumnStorage I8 = ColumnStorage.Int8, I4 = ColumnStorage.Int4, I2 = ColumnStorage.Int2,
        B = ColumnStorage.Bool, V = ColumnStorage.VarLen;

    public static readonly ColumnStorage[][] Layouts =
    [
        [I8, V],
        [I8, V, I8, I2, I8],
        [I8, I2, V, I4, I4, B, V, B],
        [I8, I8, B, B, V],
        [I8, V, I8, I2, V, I8, V],
        [I8, I8, I8, I8, I8, I8, B],
        [I8, V],
        [I8, V, B],
    ];

    /// <summary>A decoded value: long, bool, string, byte[] or null.</summary>
    public static byte[] Encode(int table, params object?[] values)
    {
        var layout = Layouts[table];
        if (values.Length != layout.Length) throw new ArgumentException($"system table {table} has {layout.Length} columns, got {values.Length}");
        var buf = new byte[256];
        while (true)
        {
            var w = new RowWriter(buf, values.Length);
            for (int i = 0; i < values.Length; i++)
            {
                switch (values[i])
                {
                    case null: w.WriteNull(); break;
                    case bool b: w.WriteBool(b); break;
                    case string s: w.WriteVarLen(Encoding.UTF8.GetBytes(s)); break;
                    case byte[] bytes: w.WriteVarLen(bytes); break;
                    case long l when layout[i].Width == 8: w.WriteInt64(l); break;
                    case long l when layout[i].Width == 4: w.WriteInt32((int)l); break;
                    case long l when layout[i].Width == 2: w.WriteInt16((short)l); break;
                    default: throw new ArgumentException($"value {values[i]} does not fit column {i} of system table {table}");
                }
            }
            int n = w.Finish();
            if (n >= 0) return buf.AsSpan(0, n).ToArray();
            buf = new byte[buf.Length * 4];
        }
    }

    public static object?[] Decode(int table, ReadOnlySpan<byte> row)
    {
        var layout = Layouts[table];
        var r = new RowReader(row, layout);
        if (!r.IsValid) throw new HeapCorruptedException($"a row of system table {table} does not parse");
        var values = new object?[layout.Length];
        for (int i = 0; i < layout.Length; i++)
        {
            if (!r.MoveNext()) throw new HeapCorruptedException($"a row of system table {table} does not parse at column {i}");
            if (r.CurrentIsNull) continue;
            values[i] = layout[i].Width switch
            {
                8 => r.GetInt64(),
                4 => (long)r.GetInt32(),
                2 => (long)r.GetInt16(),
                1 => r.GetBool(),
                _ => (object)r.CurrentBytes.ToArray(),
            };
        }
        return values;
    }

    public static string Text(object? v) => v is byte[] b ? Encoding.UTF8.GetString(b) : throw new HeapCorruptedException("a system table text column is null");
    public static string? TextOrNull(object? v) => v is byte[] b ? Encoding.UTF8.GetString(b) : null;
    public static long Long(object? v) => v is long l ? l : throw new HeapCorruptedException("a system table integer column is null");

    public static byte[] EncodeKeys(IReadOnlyList<IndexKeyColumn> keys)
    {
        var b = new byte[keys.Count * 3];
        for (int i = 0; i < keys.Count; i++)
        {
            BinaryPrimitives.WriteInt16LittleEndian(b.AsSpan(i * 3), keys[i].AttNum);
            b[i * 3 + 2] = (byte)((keys[i].Descending ? 1 : 0) | (keys[i].NullsFirst ? 2 : 0));
        }
        return b;
    }

    public static IndexKeyColumn[] DecodeKeys(byte[] b)
    {
        var keys = new IndexKeyColumn[b.Length / 3];
        for (int i = 0; i < keys.Length; i++)
            keys[i] = new IndexKeyColumn(BinaryPrimitives.ReadInt16LittleEndian(b.AsSpan(i * 3)), (b[i * 3 + 2] & 1) != 0, (b[i * 3 + 2] & 2) != 0);
        return keys;
    }

    public static byte[] EncodeAttNums(IReadOnlyList<short> atts)
    {
        var b = new byte[atts.Count * 2];
        for (int i = 0; i < atts.Count; i++) BinaryPrimitives.WriteInt16LittleEndian(b.AsSpan(i * 2), atts[i]);
        return b;
    }

    public static short[] DecodeAttNums(byte[]? b)
    {
        if (b is null) return [];
        var a = new short[b.Length / 2];
        for (int i = 0; i < a.Length; i++) a[i] = BinaryPrimitives.ReadInt16LittleEndian(b.AsSpan(i * 2));
        return a;
    }

    /// <summary>One visible row of a system table: its tid and decoded values.</summary>
    public readonly record struct Row(Tid Tid, object?[] Values);

    /// <summary>Every row of <paramref name="heap"/> visible to <paramref name="snap"/>.</summary>
    public static async ValueTask<List<Row>> ScanAsync(HeapTable heap, int table, Snapshot snap, CancellationToken ct)
    {
        var raw = new List<(Tid Tid, HeapTupleHeader Header, byte[]? Data)>();
        using (var scan = heap.Scan())
        {
            while (await scan.NextPageAsync(ct).ConfigureAwait(false))
                while (scan.TryNext(out var t))
                    raw.Add((t.Tid, t.Header, t.HasOverflow ? null : t.Data.ToArray()));
        }
        var rows = new List<Row>(raw.Count);
        foreach (var (tid, h, data) in raw)
        {
            var flags = (h.Infomask & Redo.Heap.HeapInfomask.XmaxLockOnly) != 0 ? TupleXactFlags.XmaxLockOnly : TupleXactFlags.None;
            if (!await snap.IsVisibleAsync(new TupleXact(h.Xmin, h.Xmax, h.Cmin, h.Cmax, flags), ct).ConfigureAwait(false)) continue;
            byte[] bytes = data ?? await FetchLargeAsync(heap, tid, ct).ConfigureAwait(false);
            rows.Add(new Row(tid, Decode(table, bytes)));
        }
        return rows;
    }

    private static async ValueTask<byte[]> FetchLargeAsync(HeapTable heap, Tid tid, CancellationToken ct)
    {
        var r = await heap.FetchAsync(tid, Memory<byte>.Empty, ct).ConfigureAwait(false);
        var buf = new byte[r.Length];
        r = await heap.FetchAsync(tid, buf, ct).ConfigureAwait(false);
        if (r.Status != FetchStatus.Ok) throw new HeapCorruptedException($"system row {tid} could not be read ({r.Status})");
        return buf;
    }
}
