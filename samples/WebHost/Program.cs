using AutoCrm.WebHost.Infrastructure;

var builder = WebApplication.CreateBuilder(args);
await builder.AddAutoCrmWebAsync();

var app = builder.Build();
app.UseAutoCrmWeb();
app.Run();
