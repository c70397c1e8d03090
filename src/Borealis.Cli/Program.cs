using System.CommandLine;
using Borealis.Cli.Commands;

namespace Borealis.Cli;

public static class Program
{
    public static int Main(string[] args)
    {
        var root = new RootCommand("Borealis: a cloud-native PostgreSQL-compatible database with quorum-replicated log-structured storage.");
        root.Subcommands.Add(UpCommand.Create());
        root.Subcommands.Add(StatusCommand.Create());
        root.Subcommands.Add(StorageCommand.Create());
        root.Subcommands.Add(InstanceCommand.Create());
        return root.Parse(args).Invoke();
    }
}
