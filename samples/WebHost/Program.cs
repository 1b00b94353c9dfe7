using AutoCrm.WebHost.Infrastructure;

var builder = WebApplication.CreateBuilder(args);
builder.AddAutoCrmWeb();

var app = builder.Build();
app.UseAutoCrmWeb();
app.Run();
