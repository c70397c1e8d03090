using System.Buffers.Binary;
using System.Text;
using Borealis.Engine.Keys;
using Borealis.Engine.Rows;

namespace Borealis.Sql.Types;

/// <summary>
/// Values ↔ the engine's row and key formats. Row storage per type: bool 1 byte; int2/4/8, float4/8
/// little-endian; date int32 days since 2000-01-01; timestamp/timestamptz int64 microseconds since
/// 2000-01-01; uuid 16 bytes big-endian (RFC order); numeric varlen = System.Decimal's four int32
/// (GetBits order, little-endian); text/varchar/bpchar/jsonb varlen UTF-8; bytea varlen raw.
/// Keys: numeric is written as its stored bytes (equality only, not order); uuid as its 16 big-endian bytes (memcmp order = PostgreSQL order).
/// </summary>
public static class RowCodec
{
    public static KeyType KeyTypeOf(TypeId t) => t switch
    {
        TypeId.Bool => KeyType.Bool,
        TypeId.Int2 => KeyType.Int2,
        TypeId.Int4 or TypeId.Date => KeyType.Int4,
        TypeId.Int8 => KeyType.Int8,
        TypeId.Float4 => KeyType.Float4,
        TypeId.Float8 => KeyType.Float8,
        TypeId.Timestamp or TypeId.TimestampTz => KeyType.Timestamp,
        TypeId.Text or TypeId.Varchar or TypeId.Bpchar or TypeId.Jsonb => KeyType.Text,
        _ => KeyType.Bytea,
    };

    /// <summary>Whether index order equals SQL order for this type (range scans allowed).</summary>
    public static bool KeyOrdered(TypeId t) => t is not (TypeId.Numeric or TypeId.Bpchar); // uuid: big-endian bytes in memcmp order = PostgreSQL uuid order

    /// <summary>Encodes a row; grows <paramref name="buffer"/> as needed and returns the length.</summary>
    public static int Encode(ReadOnlySpan<Value> values, ReadOnlySpan<SqlType> types, ref byte[] buffer)
    {
        while (true)
        {
            var w = new RowWriter(buffer, values.Length);
            bool ok = !w.Overflowed;
            for (int i = 0; ok && i < values.Length; i++) ok = Write(ref w, values[i], types[i].Id);
            if (ok && !w.Overflowed) return w.Finish();
            buffer = new byte[Math.Max(buffer.Length * 2, 256)];
        }
    }

    private static bool Write(scoped ref RowWriter w, in Value v, TypeId t)
    {
        if (v.IsNull) return w.WriteNull();
        switch (t)
        {
            case TypeId.Bool: return w.WriteBool(v.Bool);
            case TypeId.Int2: return w.WriteInt16((short)v.Int);
            case TypeId.Int4: return w.WriteInt32((int)v.Int);
            case TypeId.Date: return w.WriteInt32((int)v.Int);
            case TypeId.Int8 or TypeId.Timestamp or TypeId.TimestampTz: return w.WriteInt64(v.Int);
            case TypeId.Float4: return w.WriteFloat32((float)v.Float);
            case TypeId.Float8: return w.WriteFloat64(v.Float);
            case TypeId.Uuid:
            {
                byte[] b = new byte[16];
                v.Guid.TryWriteBytes(b, bigEndian: true, out _);
                return w.WriteFixed(b);
            }
            case TypeId.Numeric:
            {
                byte[] b = new byte[16];
                WriteDecimal(v.Decimal, b);
                return w.WriteVarLen(b);
            }
            case TypeId.Bytea: return w.WriteVarLen(v.Bytes);
            default:
            {
                string s = v.Str;
                var dest = w.ReserveVarLen(Encoding.UTF8.GetByteCount(s));
                if (w.Overflowed) return false;
                Encoding.UTF8.GetBytes(s, dest);
                return true;
            }
        }
    }

    private static void WriteDecimal(decimal d, Span<byte> b)
    {
        Span<int> bits = stackalloc int[4];
        decimal.GetBits(d, bits);
        for (int i = 0; i < 4; i++) BinaryPrimitives.WriteInt32LittleEndian(b[(i * 4)..], bits[i]);
    }

    /// <summary>Decodes the attributes of <paramref name="row"/> into <paramref name="dest"/> (columns missing from an old row read as NULL).</summary>
    public static void Decode(ReadOnlySpan<byte> row, ReadOnlySpan<ColumnStorage> layout, ReadOnlySpan<SqlType> types, Span<Value> dest) =>
        Decode(row, layout, types, dest, null);

    /// <summary>As <see cref="Decode(ReadOnlySpan{byte}, ReadOnlySpan{ColumnStorage}, ReadOnlySpan{SqlType}, Span{Value})"/>, materialising only the columns <paramref name="needed"/> marks (others read as NULL).</summary>
    public static void Decode(ReadOnlySpan<byte> row, ReadOnlySpan<ColumnStorage> layout, ReadOnlySpan<SqlType> types, Span<Value> dest, bool[]? needed)
    {
        var r = new RowReader(row, layout);
        int n = Math.Min(r.StoredAttributes, dest.Length);
        for (int i = 0; i < dest.Length; i++) dest[i] = Value.Null;
        while (r.MoveNext())
        {
            int a = r.Current;
            if (a >= n) break;
            if (r.CurrentIsNull || (needed is not null && !needed[a])) continue;
            dest[a] = Read(ref r, types[a].Id);
        }
    }

    private static Value Read(ref RowReader r, TypeId t)
    {
        switch (t)
        {
            case TypeId.Bool: return Value.FromBool(r.GetBool());
            case TypeId.Int2: return Value.FromInt2(r.GetInt16());
            case TypeId.Int4: return Value.FromInt4(r.GetInt32());
            case TypeId.Date: return Value.FromDate(r.GetInt32());
            case TypeId.Int8: return Value.FromInt8(r.GetInt64());
            case TypeId.Timestamp or TypeId.TimestampTz: return Value.FromTimestamp(t, r.GetInt64());
            case TypeId.Float4: return Value.FromFloat4(r.GetFloat32());
            case TypeId.Float8: return Value.FromFloat8(r.GetFloat64());
            case TypeId.Uuid: return Value.FromUuid(new Guid(r.CurrentBytes, bigEndian: true));
            case TypeId.Numeric:
            {
                var b = r.CurrentBytes;
                Span<int> bits = stackalloc int[4];
                for (int i = 0; i < 4; i++) bits[i] = BinaryPrimitives.ReadInt32LittleEndian(b[(i * 4)..]);
                return Value.FromNumeric(new decimal(bits));
            }
            case TypeId.Bytea: return Value.FromBytea(r.CurrentBytes.ToArray());
            default: return Value.FromString(t, Encoding.UTF8.GetString(r.CurrentBytes));
        }
    }

    /// <summary>Appends one key column (as <c>Table.EncodeKey</c> encodes the stored value). False when it does not fit.</summary>
    public static bool WriteKey(scoped ref KeyEncoder enc, in Value v, TypeId t, in KeyColumn kc)
    {
        if (v.IsNull) return enc.WriteNull(kc);
        switch (kc.Type)
        {
            case KeyType.Bool: return enc.WriteBool(v.Bool, kc);
            case KeyType.Int2: return enc.WriteInt16((short)v.Int, kc);
            case KeyType.Int4: return enc.WriteInt32((int)v.Int, kc);
            case KeyType.Int8: return enc.WriteInt64(v.Int, kc);
            case KeyType.Timestamp: return enc.WriteTimestamp(v.Int, kc);
            case KeyType.Float4: return enc.WriteFloat32((float)v.Float, kc);
            case KeyType.Float8: return enc.WriteFloat64(v.Float, kc);
        }
        byte[] b = new byte[16];
        switch (t)
        {
            case TypeId.Uuid: v.Guid.TryWriteBytes(b, bigEndian: true, out _); return enc.WriteBytes(b, kc);
            case TypeId.Numeric: WriteDecimal(v.Decimal, b); return enc.WriteBytes(b, kc);
            case TypeId.Bytea: return enc.WriteBytes(v.Bytes, kc);
            default: return enc.WriteBytes(Encoding.UTF8.GetBytes(v.Str), kc);
        }
    }
}
