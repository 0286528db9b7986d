// Loads a page that wants a file from another host: the harness must refuse it and fail.
module.exports = async ({ page, url }) => {
  await page.goto(url + '/offsite');
  return await page.title();
};
