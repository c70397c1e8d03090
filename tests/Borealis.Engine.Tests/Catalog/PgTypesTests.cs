using Borealis.Engine.Catalog;
using Borealis.Engine.Rows;

namespace Borealis.Engine.Tests.Catalog;

public class PgTypesTests
{
    [Fact]
    public void FixedOidsMatchPostgreSql()
    {
        Assert.Equal("int4", PgTypes.Find(PgTypes.Int4)!.Name);
        Assert.Equal(1007u, PgTypes.Find("int4")!.Array);
        Assert.Equal(PgTypes.Int4, PgTypes.Find("_int4")!.Element);
        Assert.Equal("timestamptz", PgTypes.Find(1184)!.Name);
        Assert.Equal(ColumnStorage.Int8, PgTypes.Find(PgTypes.Int8)!.RowStorage);
        Assert.True(PgTypes.Find(PgTypes.Text)!.RowStorage.IsVarLen);
        Assert.Equal(PgTypes.Int4, PgTypes.Find("int4range")!.RangeSubtype);
        Assert.Equal(PgTypes.All.Length, PgTypes.All.Select(t => t.Oid).Distinct().Count());
        foreach (var t in PgTypes.All)
            if (t.Array != 0) Assert.Equal(t.Oid, PgTypes.Find(t.Array)!.Element);
    }
}
