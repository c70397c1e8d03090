using Borealis.Storage.Protocol;
using SharpFuzz;

namespace Borealis.Fuzz;

/// <summary>
/// SharpFuzz target for the storage frame decoder. Any input must produce a verdict and never
/// an exception. Run (see fuzz/README.md):
///   dotnet tool install --global SharpFuzz.CommandLine
///   sharpfuzz bin/Release/net10.0/Borealis.Storage.Protocol.dll
///   afl-fuzz -i fuzz/corpus -o findings -- dotnet bin/Release/net10.0/Borealis.Fuzz.dll
/// Without AFL, `dotnet run -- --replay DIR` feeds every file of DIR through the target once.
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        if (args.Length == 2 && args[0] == "--replay")
        {
            int n = 0;
            foreach (var f in Directory.EnumerateFiles(args[1]))
            {
                var v = FrameInspector.InspectStream(File.ReadAllBytes(f));
                Console.WriteLine($"{Path.GetFileName(f)}: {v.Frames} frames, {v.Records} records, {v.FirstError}");
                n++;
            }
            Console.WriteLine($"replayed {n} inputs without an exception");
            return 0;
        }
        Fuzzer.OutOfProcess.Run(stream =>
        {
            using var ms = new MemoryStream();
            stream.CopyTo(ms);
            FrameInspector.InspectStream(ms.ToArray());
        });
        return 0;
    }
}
