using Borealis.PgWire.Backend;
using Borealis.Sql.Execution;

namespace Borealis.Instance;

/// <summary>The PgWire backend of a writer instance: one <see cref="SqlSession"/> per connection over the shared <see cref="SqlEngine"/>.</summary>
public sealed class InstanceBackend(SqlEngine engine) : IPgBackend
{
    public ValueTask<IPgSessionHandler> OpenSessionAsync(PgSessionInfo session, CancellationToken ct) =>
        new(new SqlSession(engine));
}
