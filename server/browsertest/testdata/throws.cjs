// Fails after loading a page: the harness must report the error and a screenshot.
module.exports = async ({ page, url, params }) => {
  await page.goto(url + '/');
  if (await page.title() !== params.want) throw new Error('title is ' + await page.title());
  return { title: await page.title() };
};
