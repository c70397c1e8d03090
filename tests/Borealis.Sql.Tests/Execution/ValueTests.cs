using Borealis.Engine.Rows;
using Borealis.PgWire.Backend;
using Borealis.Sql.Types;

namespace Borealis.Sql.Tests.Execution;

public sealed class ValueTests
{
    private static PgErrorException Fails(Action a) => Assert.Throws<PgErrorException>(a);

    [Theory]
    [InlineData("42", TypeId.Int4, "42")]
    [InlineData(" -7 ", TypeId.Int8, "-7")]
    [InlineData("1.50", TypeId.Numeric, "1.50")]
    [InlineData("t", TypeId.Bool, "t")]
    [InlineData("off", TypeId.Bool, "f")]
    [InlineData("2.5", TypeId.Float8, "2.5")]
    [InlineData("NaN", TypeId.Float8, "NaN")]
    [InlineData("2024-02-29", TypeId.Date, "2024-02-29")]
    [InlineData("2024-01-02 03:04:05", TypeId.Timestamp, "2024-01-02 03:04:05")]
    [InlineData("\\x0102ff", TypeId.Bytea, "\\x0102ff")]
    [InlineData("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", TypeId.Uuid, "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11")]
    public void Text_input_and_output_round_trip(string input, TypeId type, string output) =>
        Assert.Equal(output, Ops.Parse(input, new SqlType(type)).ToText());

    [Fact]
    public void Bad_input_raises_postgres_errors()
    {
        var e = Fails(() => Ops.Parse("abc", SqlType.Int4));
        Assert.Equal("22P02", e.Error.Code);
        Assert.Equal("invalid input syntax for type integer: \"abc\"", e.Message);
        e = Fails(() => Ops.Parse("99999999999", SqlType.Int4));
        Assert.Equal("22003", e.Error.Code);
        Assert.Equal("value \"99999999999\" is out of range for type integer", e.Message);
        Assert.Equal("22P02", Fails(() => Ops.Parse("maybe", SqlType.Bool)).Error.Code);
        Assert.Equal("22P02", Fails(() => Ops.Parse("1.2.3", SqlType.Numeric)).Error.Code);
    }

    [Fact]
    public void Integer_arithmetic_overflows_and_division_by_zero()
    {
        var e = Fails(() => Ops.Arith('+', Value.FromInt4(int.MaxValue), Value.FromInt4(1), TypeId.Int4));
        Assert.Equal("22003", e.Error.Code);
        Assert.Equal("integer out of range", e.Message);
        Assert.Equal("bigint out of range", Fails(() => Ops.Arith('*', Value.FromInt8(long.MaxValue), Value.FromInt8(2), TypeId.Int8)).Message);
        e = Fails(() => Ops.Arith('/', Value.FromInt4(1), Value.FromInt4(0), TypeId.Int4));
        Assert.Equal("22012", e.Error.Code);
        Assert.Equal("division by zero", e.Message);
        Assert.Equal("22012", Fails(() => Ops.Arith('/', Value.FromNumeric(1), Value.FromNumeric(0), TypeId.Numeric)).Error.Code);
        Assert.Equal(-3L, Ops.Arith('/', Value.FromInt4(-7), Value.FromInt4(2), TypeId.Int4).Int); // truncates toward zero
        Assert.True(Ops.Arith('+', Value.Null, Value.FromInt4(1), TypeId.Int4).IsNull);
    }

    [Fact]
    public void Numeric_division_uses_postgres_display_scale()
    {
        Assert.Equal("0.33333333333333333333", Ops.Arith('/', Value.FromNumeric(1), Value.FromNumeric(3), TypeId.Numeric).ToText());
        Assert.Equal("2.5000000000000000", Ops.Arith('/', Value.FromNumeric(5), Value.FromNumeric(2), TypeId.Numeric).ToText());
    }

    [Fact]
    public void Casts_follow_postgres_rules()
    {
        Assert.Equal(3L, Ops.Cast(Value.FromNumeric(2.5m), SqlType.Int4).Int);           // numeric rounds half away from zero
        Assert.Equal(2L, Ops.Cast(Value.FromFloat8(2.5), SqlType.Int4).Int);             // float rounds half to even
        Assert.Equal("22003", Fails(() => Ops.Cast(Value.FromInt8(1L << 40), SqlType.Int4)).Error.Code);
        Assert.Equal("ab  ", Ops.Cast(Value.FromText("ab"), new SqlType(TypeId.Bpchar, 4)).Str);
        Assert.Equal("abc", Ops.Cast(Value.FromText("abcdef"), new SqlType(TypeId.Varchar, 3), explicitCast: true).Str);
        var e = Fails(() => Ops.Cast(Value.FromText("abcdef"), new SqlType(TypeId.Varchar, 3), explicitCast: false));
        Assert.Equal("22001", e.Error.Code);
        Assert.Equal("value too long for type character varying(3)", e.Message);
        Assert.Equal("12.35", Ops.Cast(Value.FromNumeric(12.345m), new SqlType(TypeId.Numeric, (5 << 16) | 2)).ToText());
        Assert.Equal("22003", Fails(() => Ops.Cast(Value.FromNumeric(12345.6m), new SqlType(TypeId.Numeric, (5 << 16) | 2))).Error.Code);
    }

    [Fact]
    public void Comparison_semantics()
    {
        Assert.Equal(0, Ops.Compare(Value.FromInt4(2), Value.FromNumeric(2.0m)));
        Assert.True(Ops.Compare(Value.FromFloat8(double.NaN), Value.FromFloat8(double.PositiveInfinity)) > 0);
        Assert.Equal(0, Ops.Compare(Value.FromString(TypeId.Bpchar, "ab  "), Value.FromString(TypeId.Bpchar, "ab")));
        Assert.True(Ops.Compare(Value.FromText("B"), Value.FromText("a")) < 0); // C collation
    }

    [Fact]
    public void Row_codec_round_trips_every_type()
    {
        SqlType[] types =
        [
            SqlType.Bool, SqlType.Int2, SqlType.Int4, SqlType.Int8, SqlType.Numeric, new(TypeId.Float4), SqlType.Float8, SqlType.Text,
            new(TypeId.Varchar, 10), new(TypeId.Bpchar, 3), new(TypeId.Bytea), new(TypeId.Date), new(TypeId.Timestamp), SqlType.TimestampTz,
            new(TypeId.Uuid), new(TypeId.Jsonb),
        ];
        Value[] values =
        [
            Value.FromBool(true), Value.FromInt2(-2), Value.FromInt4(123456), Value.FromInt8(long.MinValue), Value.FromNumeric(-12.345m),
            Value.FromFloat4(1.5), Value.FromFloat8(-0.25), Value.FromText("héllo"), Value.FromString(TypeId.Varchar, "v"),
            Value.FromString(TypeId.Bpchar, "ab "), Value.FromBytea([0, 1, 255]), Value.FromDate(-1), Value.FromTimestamp(TypeId.Timestamp, 1234567),
            Value.FromTimestamp(TypeId.TimestampTz, -5), Value.FromUuid(Guid.NewGuid()), Value.FromString(TypeId.Jsonb, "{\"a\": 1}"),
        ];
        var layout = types.Select(t => t.Id switch
        {
            TypeId.Bool => ColumnStorage.Bool,
            TypeId.Int2 => ColumnStorage.Int2,
            TypeId.Int4 or TypeId.Date or TypeId.Float4 => ColumnStorage.Int4,
            TypeId.Int8 or TypeId.Float8 or TypeId.Timestamp or TypeId.TimestampTz => ColumnStorage.Int8,
            TypeId.Uuid => ColumnStorage.Uuid,
            _ => ColumnStorage.VarLen,
        }).ToArray();
        var buf = new byte[8];
        int n = RowCodec.Encode(values, types, ref buf);
        var back = new Value[values.Length + 1]; // one more column than stored: reads as NULL
        RowCodec.Decode(buf.AsSpan(0, n), [.. layout, ColumnStorage.Int4], [.. types, SqlType.Int4], back);
        for (int i = 0; i < values.Length; i++) Assert.Equal(values[i].ToText(), back[i].ToText());
        Assert.True(back[^1].IsNull);
    }

    [Fact]
    public void Row_codec_format_is_pinned()
    {
        var buf = new byte[64];
        int n = RowCodec.Encode([Value.FromInt4(1), Value.Null, Value.FromNumeric(1.5m), Value.FromDate(1)],
            [SqlType.Int4, SqlType.Text, SqlType.Numeric, new SqlType(TypeId.Date)], ref buf);
        // natts=4, null bitmap 0b0010, int4 LE, numeric varlen(16) = decimal bits (lo, mid, hi, flags: scale 1), date int32 LE
        Assert.Equal("0400" + "02" + "01000000" + "10" + "0F000000" + "00000000" + "00000000" + "00000100" + "01000000",
            Convert.ToHexString(buf, 0, n));
    }

    [Fact]
    public void Type_oids_are_postgres_oids()
    {
        Assert.Equal(23u, SqlType.Int4.Oid);
        Assert.Equal(1700u, SqlType.Numeric.Oid);
        Assert.Equal(1184u, SqlType.TimestampTz.Oid);
        Assert.Equal(3802u, new SqlType(TypeId.Jsonb).Oid);
        foreach (var t in Enum.GetValues<TypeId>().Where(t => t != TypeId.Unknown)) Assert.Equal(t, Types.Types.FromOid(Types.Types.Oid(t)));
    }
}
